#! SB413 4:15
model wan2.7-t2v
clip a 5s
  soundtrack: ../../outside.wav
  One
