#! SB660 7:9
model wan2.7-t2v
resolution 720P
ratio 16:9

clip chase 5s
  takes 12
  The fox runs through the tall grass.
