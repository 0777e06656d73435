model wan2.7-t2v
takes 2
clip chase 5s
  takes 3
  The fox runs through the tall grass.
clip rest 5s
  The fox sleeps.
