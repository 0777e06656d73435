#! SB308 3:12
model wan2.7-t2v
resolution 480P
clip a 5s
  One
