model wan2.7-t2v
clip a 5s
  soundtrack: ./tone-5s.wav
  One
