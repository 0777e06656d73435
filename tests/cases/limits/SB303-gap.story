#! SB303 5:8
model wan2.7-t2v
clip a
  shot [0-3s]: One
  shot [4-6s]: Two
