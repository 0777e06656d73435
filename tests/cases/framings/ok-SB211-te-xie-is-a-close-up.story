# 特寫 stays the close-up (the face).
#= zh 特寫 | zh-Hans 特写 | en close-up
model wan2.7-t2v
clip a 5s
  shot 5s 特寫
    雨夜的街頭
