#! SB407 4:15
model wan2.7-t2v
clip a 10s
  soundtrack: tone-5s.wav
  One
