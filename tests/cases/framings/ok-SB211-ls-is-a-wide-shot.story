# `ls`, the long shot.
#= zh 遠景 | zh-Hans 远景 | en wide
model wan2.7-t2v
clip a 5s
  shot 5s ls
    雨夜的街頭
