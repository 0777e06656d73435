#! SB214 5:7
place office: an office
clip a 3s
  In the @office
  say office: echo
