model wan2.6-t2v
clip a 3s
  soundtrack: tone-3s.wav
  One
