# The medium close-up is written 近景 in a Chinese prompt.
#= zh 近景 | zh-Hans 近景 | en medium close-up
model wan2.7-t2v
clip a 5s
  shot 5s mcu
    雨夜的街頭
