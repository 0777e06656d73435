# `long`, the long shot: written 遠景 in a Chinese prompt (it was 全景).
#= zh 遠景 | zh-Hans 远景 | en wide
model wan2.7-t2v
clip a 5s
  shot 5s long
    雨夜的街頭
