#! SB209 3:1
model wan2.7-t2v
model wan2.6-t2v
clip a 3s
  One
