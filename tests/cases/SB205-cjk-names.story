#! SB205 12:3
# Names in any script. Chinese prose has no spaces, so `@` takes the longest declared name the text
# after it starts with: `@獵豹追著羚羊` is `獵豹` chasing; `@獵豹王` is the longer name.
cast 獵豹: 一隻成年獵豹，金色皮毛帶黑斑
cast 獵豹王: 一隻年老的獵豹，額上有疤
place 草原：黃昏的非洲草原
clip 追逐 5s
  shot 3s 全景
    @獵豹追著羚羊穿過@草原。
  shot 2s 特寫
    @獵豹王看著遠方
  @羚羊跑遠了
