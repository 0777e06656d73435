# 近景 is a close shot, from the chest up: a medium close-up, not a close-up (特寫).
#= zh 近景 | zh-Hans 近景 | en medium close-up
model wan2.7-t2v
clip a 5s
  shot 5s 近景
    雨夜的街頭
