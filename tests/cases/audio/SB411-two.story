#! SB411 5:3
model wan2.7-t2v
clip a 5s
  soundtrack: tone-5s.wav
  soundtrack: tone-5s.wav
  One
