#! SB408 4:15
model wan2.7-t2v
clip a 5s
  soundtrack: tone-10s.wav
  One
