# 遠景 (new): the long shot, the setting with the figure small in it.
#= zh 遠景 | zh-Hans 远景 | en wide
model wan2.7-t2v
clip a 5s
  shot 5s 遠景
    雨夜的街頭
