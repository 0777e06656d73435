model wan2.7-t2v
clip long 15s
  One long take
