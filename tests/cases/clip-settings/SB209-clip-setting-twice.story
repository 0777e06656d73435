#! SB209 5:3
model wan2.7-t2v
clip a 5s
  seed 1
  seed 2
  One
