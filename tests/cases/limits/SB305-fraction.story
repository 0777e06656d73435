#! SB305 3:6
model wan2.7-t2v
clip a
  shot 2.5s: One
  shot 3s: Two
