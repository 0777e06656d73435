# `close-shot` (new): 近景, chest up.
#= zh 近景 | zh-Hans 近景 | en medium close-up
model wan2.7-t2v
clip a 5s
  shot 5s close-shot
    雨夜的街頭
