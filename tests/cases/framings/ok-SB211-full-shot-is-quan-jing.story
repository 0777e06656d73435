# `full-shot` (new), the full shot.
#= zh 全景 | zh-Hans 全景 | en full
model wan2.7-t2v
clip a 5s
  shot 5s full-shot
    雨夜的街頭
