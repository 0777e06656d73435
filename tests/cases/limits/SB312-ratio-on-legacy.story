#! SB312 3:1
model wan2.6-t2v
ratio 16:9
clip a 5s
  One
