#! SB660 2:7
takes 0
model wan2.7-t2v
clip chase 5s
  The fox runs through the tall grass.
