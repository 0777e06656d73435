#! SB315 2:7
model wan2.8-t2v
clip a 5s
  One
