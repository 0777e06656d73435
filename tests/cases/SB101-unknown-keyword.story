#! SB101 2:1
modle wan2.7-t2v
