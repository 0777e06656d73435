#! SB101 3:12
model wan2.7-t2v
clip chase 15
  shot 3s
    Text
