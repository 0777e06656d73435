# `medium-long` (new), the medium long shot.
#= zh 中遠景 | zh-Hans 中远景 | en medium wide
model wan2.7-t2v
clip a 5s
  shot 5s medium-long
    雨夜的街頭
