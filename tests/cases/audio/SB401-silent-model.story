#! SB401 4:3
model wan2.2-t2v-plus
clip a 5s
  soundtrack: tone-5s.wav
  One
