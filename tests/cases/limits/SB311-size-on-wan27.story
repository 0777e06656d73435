#! SB311 3:1
model wan2.7-t2v
size 1280*720
clip a 5s
  One
