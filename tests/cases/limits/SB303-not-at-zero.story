#! SB303 4:8
model wan2.7-t2v
clip a
  shot [1-3s]: One
  shot [3-6s]: Two
