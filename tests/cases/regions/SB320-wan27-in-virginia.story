# wan2.7 is offered in Beijing and Singapore only (API reference §1): Virginia refuses it.
#! SB320 4:8
model wan2.7-t2v
region virginia
resolution 720P
clip a 5s
  A lantern drifts over a night market.
