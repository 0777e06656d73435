#! SB302 3:8
model wan2.7-t2v
clip a 7s
  shot 3s: One
  shot 3s: Two
