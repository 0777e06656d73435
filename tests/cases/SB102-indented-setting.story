#! SB102 3:3
model wan2.7-t2v
  resolution 720P
