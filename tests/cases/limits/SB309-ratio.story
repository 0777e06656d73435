#! SB309 3:7
model wan2.7-t2v
ratio 21:9
clip a 5s
  One
