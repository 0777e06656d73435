# The medium close-up is written 近景 (it was 中近景).
#= zh 近景 | zh-Hans 近景 | en medium close-up
model wan2.7-t2v
clip a 5s
  shot 5s medium-close-up
    雨夜的街頭
