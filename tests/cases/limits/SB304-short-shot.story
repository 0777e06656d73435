#! SB304 5:8
model wan2.7-t2v
clip a 5s
  shot 4.5s: One
  shot 0.5s: Two
