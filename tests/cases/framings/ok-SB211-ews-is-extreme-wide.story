# `ews`, the extreme wide shot.
#= zh 大遠景 | zh-Hans 大远景 | en extreme wide
model wan2.7-t2v
clip a 5s
  shot 5s ews
    雨夜的街頭
