model wan2.7-t2v
ratio 3:4
clip a 5s
  One
