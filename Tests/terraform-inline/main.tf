# Tests/terraform-inline/stack.yaml as a Terraform configuration (see the stack's header). The
# provider is pointed at a sandbox by -var endpoint=http://127.0.0.1:PORT.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_metadata_api_check     = true
  skip_credentials_validation = true
  skip_region_validation      = true
  endpoints {
    ec2 = var.endpoint
    iam = var.endpoint
    sqs = var.endpoint
    sts = var.endpoint
  }
  default_tags {
    tags = { team = "platform" }
  }
}

resource "aws_vpc" "vpc" {
  cidr_block           = "10.64.0.0/16"
  enable_dns_hostnames = true
}

resource "aws_internet_gateway" "igw" {
  vpc_id = aws_vpc.vpc.id
}

resource "aws_subnet" "a" {
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = "10.64.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.vpc.id
  route {
    cidr_block = "10.200.0.0/16"
    gateway_id = aws_internet_gateway.igw.id
  }
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.igw.id
  }
}

resource "aws_route_table_association" "public_a" {
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "peers" {
  name        = "inline-peers"
  description = "peers"
  vpc_id      = aws_vpc.vpc.id
}

resource "aws_security_group" "web" {
  name        = "inline-web"
  description = "web"
  vpc_id      = aws_vpc.vpc.id
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
    description = "ssh"
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }
  ingress {
    from_port       = 80
    to_port         = 80
    protocol        = "tcp"
    security_groups = [aws_security_group.peers.id]
  }
  ingress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
    self      = true
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "template" {
  name = "inline-lt"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 20
      volume_type = "gp3"
      encrypted   = "true"
    }
  }
  metadata_options {
    http_tokens   = "optional"
    http_endpoint = "enabled"
  }
  tag_specifications {
    resource_type = "instance"
    tags          = { kind = "node" }
  }
}

resource "aws_sqs_queue" "queue" {
  name = "inline-q"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = "*"
    }]
  })
}
