# `xcu`, the extreme close-up.
#= zh 大特寫 | zh-Hans 大特写 | en extreme close-up
model wan2.7-t2v
clip a 5s
  shot 5s xcu
    雨夜的街頭
