# 中近景 is read as 近景, the medium close-up.
#= zh 近景 | zh-Hans 近景 | en medium close-up
model wan2.7-t2v
clip a 5s
  shot 5s 中近景
    雨夜的街頭
