model wan2.7-t2v
resolution 720P
clip a 5s
  One
