# The storyboard the cases beside it continue (not a case itself).
model wan3.0-video
resolution 720P
clip long 12s
  The fox runs across the frozen lake.
clip short 5s
  The fox stops at the shore.
