#! SB310 3:6
model wan2.6-t2v
size 1104*832
clip a 5s
  One
