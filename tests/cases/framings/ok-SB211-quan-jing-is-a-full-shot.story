# 全景 shows the whole figure, head to feet: a full shot, not a wide (long) shot.
#= zh 全景 | zh-Hans 全景 | en full
model wan2.7-t2v
clip a 5s
  shot 5s 全景
    雨夜的街頭
