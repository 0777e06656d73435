#! SB404 5:15
#! SB408 5:15
model wan2.7-t2v
clip a 2s
  soundtrack: tone-2.5s.wav
  shot 2s: One
