#! SB403 4:15
model wan2.7-t2v
clip a 15s
  soundtrack: tone-31s.wav
  One
