# `full` is the full shot, 全景.
#= zh 全景 | zh-Hans 全景 | en full
model wan2.7-t2v
clip a 5s
  shot 5s full
    雨夜的街頭
