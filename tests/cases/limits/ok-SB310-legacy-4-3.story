model wan2.6-t2v
size 1088*832
clip a 5s
  One
