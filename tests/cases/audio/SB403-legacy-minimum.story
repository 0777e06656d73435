#! SB403 4:15
model wan2.6-t2v
clip a 2s
  soundtrack: tone-2.5s.wav
  One
