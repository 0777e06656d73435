#! SB301 3:11
model wan2.7-t2v
clip long 16s
  One long take
