#! SB403 4:15
model wan2.7-t2v
clip a 2s
  soundtrack: tone-1s.wav
  One
